// The `ml` generator's training run and GPU nodes (see ml.ts):
//   training/trainer  rank 0 of a 16-GPU run (Python logging): a line every 10 steps (loss slowly
//                     falling, learning rate on a cosine schedule, grad norm, tokens/s, step time,
//                     MFU), an evaluation every 500 steps, a sharded checkpoint saved every 1,000
//                     steps (and the oldest one removed), a slow data shard now and then
//   gpu/nodes         the GPU nodes' syslog: a GPU monitor's sample of every GPU every 2 minutes
//                     (utilisation, memory, temperature, power, clocks, ECC counts), the user
//                     code's Xid 13/31 faults now and then (an application error, benign), the
//                     boot of the node the autoscaler adds
import { checkpointObjects } from './ml-ops.js';
import { STREAMS, type GpuNode, type Row, type W } from './ml-lines.js';
import { gauss } from './random.js';

const TOKENS_PER_STEP = 128 * 8192;
const GPU_NAME = 'NVIDIA A100-SXM4-80GB';
export const ckptName = (step: number): string => `step_${String(step).padStart(7, '0')}`;

/** The trainer's line of `step` at ts (`slow`: the step took that many times its usual time). */
export function stepLine(w: W, ts: number, step: number, slow = 1, kind?: string): Row {
  const { r, run } = w;
  const loss = 1.55 + 0.9 * Math.exp(-step / 40_000) + 0.035 * gauss(r);
  const lr = 3e-4 * 0.5 * (1 + Math.cos((Math.PI * step) / run.total));
  const took = (run.stepMs / 1000) * w.around(1, 0.025) * slow;
  const msg = `step ${step}/${run.total} | loss ${loss.toFixed(4)} | lr ${lr.toExponential(2).replace(/e([+-])(\d)$/, 'e$10$2')} | grad_norm ${w.around(0.85, 0.2).toFixed(3)} | tok/s ${Math.round(TOKENS_PER_STEP / took).toLocaleString('en-US')} | step_time ${took.toFixed(2)}s | mfu ${(41.5 / (took / (run.stepMs / 1000))).toFixed(1)}%`;
  return w.row(ts, STREAMS.trainer, w.python(ts, 'train', 'INFO', msg), undefined, kind);
}

const say = (w: W, rows: Row[], ts: number, name: string, level: string, msg: string): void => { rows.push(w.row(ts, STREAMS.trainer, w.python(ts, name, level, msg))); };

/** An evaluation at `step`: its lines from ts; returns the time it took. */
function evaluate(w: W, rows: Row[], ts: number, step: number): number {
  const took = w.around(48_000, 0.1);
  const val = 1.62 + 0.9 * Math.exp(-step / 40_000) + 0.01 * gauss(w.r);
  say(w, rows, ts + 5, 'train.eval', 'INFO', 'Running evaluation on 200 batches of val-mix-v4');
  say(w, rows, ts + took, 'train.eval', 'INFO', `eval | step ${step} | val_loss ${val.toFixed(4)} | val_ppl ${Math.exp(val).toFixed(2)} | took ${(took / 1000).toFixed(1)}s`);
  return took + 200;
}

/** A checkpoint saved at `step` (the trainer's lines, the object store's uploads): returns the time it took. */
function checkpoint(w: W, rows: Row[], ts: number, step: number): number {
  const took = w.around(62_000, 0.12);
  const name = ckptName(step);
  say(w, rows, ts + 3, 'train.ckpt', 'INFO', `Saving checkpoint ${name} to s3://ckpt-train/${w.run.id}/${name} (16 shards, async=False)`);
  rows.push(...checkpointObjects(w, ts + 100, took, name));
  say(w, rows, ts + took, 'train.ckpt', 'INFO', `Checkpoint ${name} saved: ${(142.6 + w.r.next() * 0.1).toFixed(2)} GB in ${(took / 1000).toFixed(1)}s`);
  say(w, rows, ts + took + 40, 'train.ckpt', 'INFO', `Removed old checkpoint ${ckptName(step - 3000)} (keep_last=3)`);
  return took + 300;
}

/** The training run from before t0 to the end: its steps, evaluations and checkpoints. */
export function training(w: W, rows: Row[]): void {
  const { r, run } = w;
  let step = run.step0, ts = w.t0 - r.int(0, 12_000);
  while (ts < w.end) {
    step += 10;
    ts += Math.round(10 * run.stepMs * w.around(1, 0.02));
    rows.push(stepLine(w, ts, step));
    if (r.chance(0.004)) say(w, rows, ts + r.int(100, 900), 'train.data', 'WARNING', `shard pretrain-mix-v4/shard-${String(r.int(0, 99_999)).padStart(6, '0')}.tar slow to fetch (${(2 + r.next() * 3).toFixed(1)}s), prefetch queue at ${r.int(0, 2)}/8`);
    if (step % 500 === 0) ts += Math.round(evaluate(w, rows, ts, step));
    if (step % 1000 === 0) ts += Math.round(checkpoint(w, rows, ts, step));
  }
}

/** A GPU's usual load at ts: training GPUs are busy, serving ones follow the traffic, batch ones come and go. */
function load(w: W, node: GpuNode, gpu: number, ts: number): number {
  const { r } = w;
  if (node.role === 'training') return r.int(94, 100);
  const served = w.replicas.some((x) => x.node === node.name && x.gpus.includes(gpu));
  if (served) return Math.max(3, Math.min(99, Math.round(w.around(18 + 45 * w.rate(ts), 0.15))));
  return r.chance(0.55) ? r.int(55, 100) : 0;
}

/** A GPU's sample at ts (`temp` forces the temperature). */
export function gpuLine(w: W, ts: number, node: GpuNode, gpu: number, sbe: number, temp?: number, kind?: string): Row {
  const { r } = w;
  const util = load(w, node, gpu, ts);
  const t = temp ?? Math.round(30 + util * 0.4 + r.int(-3, 3));
  const power = util === 0 ? 55 + r.next() * 10 : 80 + util * 3 + r.next() * 20;
  const mem = util === 0 ? r.int(0, 4) : node.role === 'training' ? r.int(76_000, 79_500) : r.int(62_000, 76_000);
  const msg = `gpu=${gpu} bus=${node.bus[gpu]} name="${GPU_NAME}" util=${util}% mem=${mem}/81920MiB temp=${t}C power=${power.toFixed(1)}/400W sm=${util === 0 ? 210 : r.pick([1275, 1410, 1410, 1410])}MHz ecc_sbe=${sbe} ecc_dbe=0 pstate=P0`;
  return w.row(ts, STREAMS.gpu, w.syslog(ts, node.name, `gpu-monitor[${node.pid}]`, msg), undefined, kind);
}

/** The kernel and the fabric manager at the added node's boot, then the monitor's start. */
function boot(w: W, rows: Row[], node: GpuNode): void {
  const { r } = w;
  let at = node.from - r.int(40_000, 70_000);
  const line = (tag: string, msg: string, dt = r.int(5, 400)): void => { at += dt; rows.push(w.row(at, STREAMS.gpu, w.syslog(at, node.name, tag, msg))); };
  line('kernel', `nvidia: module license 'NVIDIA' taints kernel.`, 0);
  line('kernel', 'NVRM: loading NVIDIA UNIX x86_64 Kernel Module  550.90.07  Fri May 31 09:35:42 UTC 2024');
  line('kernel', 'nvidia-nvswitch: Probing device 0000:c5:00.0, Vendor Id = 0x10de, Device Id = 0x1af1, Class = 0x68000');
  line(`nvidia-fabricmanager[${r.int(1000, 2000)}]`, 'Successfully configured all the available GPUs and NVSwitches to route NVLink traffic.', r.int(5000, 15_000));
  line(`gpu-monitor[${node.pid}]`, `started: 8 GPUs found (driver 550.90.07, CUDA 12.4), sampling every 120s`, r.int(5000, 20_000));
}

/** Every node's samples and benign faults over the run. */
export function gpuNodes(w: W, rows: Row[]): void {
  const { r } = w;
  for (const node of w.nodes) {
    if (node.from > w.t0 && node.from < w.end) boot(w, rows, node);
    for (let gpu = 0; gpu < 8; gpu++) {
      let sbe = r.chance(0.15) ? r.int(1, 6) : 0;
      for (let ts = Math.max(w.t0, node.from) + gpu * 900 + r.int(0, 400); ts < w.end; ts += 120_000 + r.int(-50, 50)) {
        if (r.chance(0.0015)) sbe++;
        rows.push(gpuLine(w, ts, node, gpu, sbe));
      }
    }
  }
  const shared = w.nodes.filter((n) => n.role === 'inference' && n.name !== w.replicas[0].node);
  for (const ts of w.arrivals(1 / 4000)) {
    const node = r.pick(shared.filter((n) => n.from <= ts));
    const bus = r.pick(node.bus.slice(2)).slice(0, 10);
    const msg = r.chance(0.5)
      ? `NVRM: Xid (PCI:${bus}): 13, pid=${r.int(10_000, 99_999)}, name=python, Graphics SM Warp Exception on (GPC ${r.int(0, 7)}, TPC ${r.int(0, 8)}, SM ${r.int(0, 1)}): Out Of Range Address`
      : `NVRM: Xid (PCI:${bus}): 31, pid=${r.int(10_000, 99_999)}, name=python, Ch 00000008, intr 00000000. MMU Fault: ENGINE GRAPHICS GPCCLIENT_T1_${r.int(0, 7)} faulted @ 0x7f${r.hex(2)}_${r.hex(8)}. Fault is of type FAULT_PDE ACCESS_TYPE_VIRT_READ`;
    rows.push(w.row(ts, STREAMS.gpu, w.syslog(ts, node.name, 'kernel', msg)));
  }
}
