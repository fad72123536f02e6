// The size rule of issue 10, as a check over the project's sources: no file in engine/, src/ or
// workers/ over 450 lines (as `wc -l` counts them: newline characters), no function over 80
// lines, except where a comment says why. Run by test/internals/sizes.unit.test.ts; by hand:
// `node dist/src/tools/sizes.js` lists every file and function over the limits.
//
//   projectSources (src/tools/layers.ts) ─▶ .ts files ─▶ ts.createSourceFile ─▶ every function-like
//   node with a body ─▶ lines from its first token to its last ─▶ over the limit and no
//   `size-exception:` comment ─▶ SizeViolation
//
// An exception is a comment holding `size-exception: <why>`: among a function's leading comments
// (or those of the statement that declares it) for a function, anywhere in the file's first
// comment block for the file's length.
import ts from 'typescript';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../core/paths.js';
import { projectSources } from './layers.js';

export const MAX_FILE_LINES = 450;
export const MAX_FUNCTION_LINES = 80;
const EXCEPTION_RE = /size-exception:\s*\S/;

export interface SizeViolation {
  file: string;
  /** The function's name (`Class.method`, `<anonymous>` when it has none); undefined for the file's length. */
  fn?: string;
  /** The line the function starts on (1-based). */
  line?: number;
  lines: number;
  limit: number;
}

/** Lines as `wc -l` counts them. */
export const wcLines = (text: string): number => {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
};

function nameOf(node: ts.SignatureDeclaration): string {
  const own = node.name !== undefined && (ts.isIdentifier(node.name) || ts.isPrivateIdentifier(node.name) || ts.isStringLiteral(node.name))
    ? node.name.text : undefined;
  const p = node.parent;
  const outer = ts.isClassLike(p) && p.name !== undefined ? `${p.name.text}.` : '';
  if (own !== undefined) return `${outer}${own}`;
  if (ts.isConstructorDeclaration(node)) return `${outer}constructor`;
  if (ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return p.name.text;
  if (ts.isPropertyAssignment(p) && ts.isIdentifier(p.name)) return p.name.text;
  return '<anonymous>';
}

/** Whether the node, or the statement that declares it, carries a `size-exception:` comment. */
function excepted(node: ts.Node, text: string): boolean {
  for (let n: ts.Node | undefined = node; n !== undefined && !ts.isSourceFile(n); n = n.parent) {
    const ranges = ts.getLeadingCommentRanges(text, n.getFullStart()) ?? [];
    if (ranges.some((r) => EXCEPTION_RE.test(text.slice(r.pos, r.end)))) return true;
    if (ts.isStatement(n) || ts.isClassElement(n)) break;
  }
  return false;
}

/** The file's first comment block (its header). */
function header(text: string): string {
  const ranges = ts.getLeadingCommentRanges(text, 0) ?? [];
  return ranges.map((r) => text.slice(r.pos, r.end)).join('\n');
}

/** Checks one TypeScript source given as a project-relative path with its text. */
export function checkSizes(file: string, text: string, limits = { file: MAX_FILE_LINES, fn: MAX_FUNCTION_LINES }): SizeViolation[] {
  const out: SizeViolation[] = [];
  const lines = wcLines(text);
  if (lines > limits.file && !EXCEPTION_RE.test(header(text))) out.push({ file, lines, limit: limits.file });
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const first = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const last = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      const span = last - first + 1;
      if (span > limits.fn && !excepted(node, text)) out.push({ file, fn: nameOf(node), line: first + 1, lines: span, limit: limits.fn });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** Checks every .ts file of engine/, src/ and workers/ under `root`, except those in `skip`. */
export function projectSizes(root: string, skip: ReadonlySet<string> = new Set()): SizeViolation[] {
  const out: SizeViolation[] = [];
  for (const [file, text] of projectSources(root)) {
    if (file.endsWith('.ts') && !file.endsWith('.d.ts') && !skip.has(file)) out.push(...checkSizes(file, text));
  }
  return out;
}

export const formatViolation = (v: SizeViolation): string => (v.fn === undefined
  ? `${v.file}: ${v.lines} lines (limit ${v.limit})`
  : `${v.file}:${v.line} ${v.fn}: ${v.lines} lines (limit ${v.limit})`);

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const found = projectSizes(packageRoot);
  for (const v of found) console.log(formatViolation(v));
  process.exitCode = found.length === 0 ? 0 : 1;
}
