// Which passwords a sign-up may choose (issue 12, lows): at least 8 characters (the schema), and
// not trivial or among the most common. A shipped list rather than a strength estimator such as
// @zxcvbn-ts/core (its English dictionaries add about 1.5 MB to the install): the most common
// passwords of 8 characters or more in the public breach lists, plus rules that catch their
// variants (one repeated character, a keyboard or number run, the email's own name).
import { DwError } from '../errors.js';

/** Common passwords of 8+ characters (lower case; a password matches ignoring case and a trailing digit or !). */
const COMMON = new Set([
  'password', 'passw0rd', 'p@ssword', 'p@ssw0rd', 'password1', 'password12', 'password123', 'password1234', 'passwords',
  '12345678', '123456789', '1234567890', '0123456789', '87654321', '987654321', '11111111', '00000000', '12341234', '11223344',
  '12121212', '88888888', '123123123', '1q2w3e4r', '1q2w3e4r5t', 'q1w2e3r4', 'qwertyui', 'qwertyuiop', 'qwerty123', 'qwerty12',
  'asdfghjk', 'asdfghjkl', 'zxcvbnm1', 'zaq12wsx', '1qaz2wsx', 'abcd1234', 'abc12345', 'abcdefgh', 'iloveyou', 'iloveyou1',
  'sunshine', 'princess', 'football', 'baseball', 'basketball', 'welcome1', 'welcome123', 'superman', 'starwars', 'trustno1',
  'letmein1', 'letmein123', 'whatever', 'computer', 'internet', 'jennifer', 'michelle', 'corvette', 'mercedes', 'liverpool',
  'chocolate', 'butterfly', 'elephant', 'football1', 'master123', 'monkey123', 'dragon123', 'shadow123', 'freedom1', 'changeme',
  'changeme123', 'administrator', 'admin123', 'admin1234', 'adminadmin', 'rootroot', 'testtest', 'test1234', 'test12345',
  'qwertyqwerty', 'aaaaaaaa', 'access14', 'batman123', 'charlie1', 'danielle', 'hello123', 'hellohello', 'jordan23', 'lovelove',
  'michael1', 'mustang1', 'passpass', 'secret123', 'summer2024', 'summer2025', 'winter2024', 'spring2025', 'qazwsxedc',
  'driftwatch', 'driftwatch1', 'driftwatch123',
]);

const RUNS = ['0123456789', '9876543210', 'abcdefghijklmnopqrstuvwxyz', 'qwertyuiopasdfghjklzxcvbnm', '1qaz2wsx3edc4rfv'];

/** Why a password is refused, or undefined when it may be used. */
export function weakPassword(password: string, email?: string): string | undefined {
  const p = password.toLowerCase();
  if (p.trim() === '') return 'the password is only spaces';
  if (new Set(p).size < 4) return 'the password uses fewer than 4 different characters';
  const base = p.replace(/[0-9!.]+$/, '');
  if (COMMON.has(p) || COMMON.has(base)) return 'the password is one of the most common ones';
  if (RUNS.some((r) => r.includes(p))) return 'the password is a keyboard or number run';
  const local = email?.split('@')[0]?.toLowerCase();
  if (local !== undefined && local.length >= 4 && (p === local || base === local)) return 'the password is the email address\'s name';
  return undefined;
}

/** Throws DW_ERR_WEAK_PASSWORD for a password weakPassword() refuses. */
export function assertStrongPassword(password: string, email?: string): void {
  const why = weakPassword(password, email);
  if (why !== undefined) throw new DwError('DW_ERR_WEAK_PASSWORD', why);
}
