// Event times of Loghub lines (src/tools/eval/logtime.ts): each format's own timestamps, the year
// guess of year-less formats, continuation lines, and the i ms fallback.
import { describe, expect, it } from 'vitest';
import { logTimes, SPACED_BASE } from '../../src/tools/eval/logtime.js';

describe('logTimes', () => {
  it('reads BGL epoch seconds with the microseconds of its own stamp, and Thunderbird epoch seconds', () => {
    const bgl = logTimes([
      '1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected',
      '1117838573 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.53.276129 R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected',
    ]);
    expect(bgl.ts).toEqual([1117838570676, 1117838573276]);
    expect(bgl.how).toMatch(/^epoch seconds field, 2 of 2 lines stamped/);
    const tb = logTimes(['1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond[2916]: (root) CMD (run-parts /etc/cron.hourly)']);
    expect(tb.ts).toEqual([1131566461000]);
  });

  it('reads dated formats as UTC (HDFS, ISO with a fraction, Apache, Spark, HealthApp)', () => {
    expect(logTimes(['081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating']).ts).toEqual([Date.UTC(2008, 10, 9, 20, 36, 15)]);
    expect(logTimes(['2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]] - Notification time out: 3200']).ts).toEqual([Date.UTC(2015, 6, 29, 17, 41, 44, 747)]);
    expect(logTimes(['[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok']).ts).toEqual([Date.UTC(2005, 11, 4, 4, 47, 44)]);
    expect(logTimes(['17/06/09 20:10:40 INFO spark.SecurityManager: Changing view acls to: yarn,curi']).ts).toEqual([Date.UTC(2017, 5, 9, 20, 10, 40)]);
    expect(logTimes(['20171224-1:2:35:789|Step_LSC|30002312|processHandleBroadcastAction']).ts).toEqual([Date.UTC(2017, 11, 24, 1, 2, 35, 789)]);
  });

  it('a year-less stamp more than a day before the previous one is the next year; a continuation line takes the previous time', () => {
    const t = logTimes(['[10.30 16:49:06] chrome.exe - open', 'continued without a stamp', '[07.26 13:31:12] chrome.exe - open', '[07.26 13:31:11] chrome.exe - a second back']);
    expect(t.ts[0]).toBe(Date.UTC(2000, 9, 30, 16, 49, 6));
    expect(t.ts[1]).toBe(t.ts[0]);
    expect(t.ts[2]).toBe(Date.UTC(2001, 6, 26, 13, 31, 12));
    expect(t.ts[3]).toBe(Date.UTC(2001, 6, 26, 13, 31, 11));
    expect(t.backwards).toBe(1);
    expect(t.how).toMatch(/no year.*3 of 4 lines stamped.*1 steps back/);
  });

  it('falls back to line i at base + i ms, and says so, when no format stamps half of the lines', () => {
    const t = logTimes(['hello', 'world', 'Jun 14 15:16:01 combo sshd: one stamped line']);
    expect(t.ts).toEqual([SPACED_BASE, SPACED_BASE + 1, SPACED_BASE + 2]);
    expect(t.how).toMatch(/no timestamp format stamps half of its lines/);
  });
});
