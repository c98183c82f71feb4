/**
 * Human text for `daxfleet recovery`: a plan as an operator reviews it (target, steps, DATA LOSS, checks,
 * refusal), an execution's steps and progress, the verification, and the plan list. `--json` bypasses all of it.
 */
import type {
  RangeRef, RecoveryCheck, RecoveryExecution, RecoveryPlan, RecoveryProgress, RecoveryStepResult, RecoveryTarget,
  RecoveryVerification,
} from '@daxfleet/shared';

/** regionN+OFFSET:LENGTH, region-relative 512 B sectors: the same form `--range` takes */
export function formatRange(r: RangeRef): string {
  return `${r.region}+${r.region_offset}:${r.length}`;
}

/** "in 9 min 58 s" / "2 min ago": how long a plan stays executable */
export function relative(iso: string, now: Date): string {
  const ms = Date.parse(iso) - now.getTime();
  const s = Math.round(Math.abs(ms) / 1000);
  const text = s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

function indent(lines: string[], by = '  '): string[] {
  return lines.map((l) => `${by}${l}`);
}

function check(c: RecoveryCheck): string {
  return `${c.ok ? '✓' : '✗'} ${c.id.padEnd(20)} ${c.detail}`;
}

function targetLines(t: RecoveryTarget): string[] {
  const lines: string[] = [];
  const device = [
    t.namespace, t.mode, t.blockdev !== undefined ? `/dev/${t.blockdev}` : undefined,
    t.chardev !== undefined ? `/dev/${t.chardev}` : undefined, t.bus,
  ].filter((x): x is string => x !== undefined);
  const where = [
    t.sector !== undefined && t.sectors !== undefined ? `sectors ${t.sector}+${t.sectors}` : undefined,
    t.spa !== undefined ? `spa ${t.spa}` : undefined,
  ].filter((x): x is string => x !== undefined);
  if (device.length > 0 || where.length > 0) lines.push([device.join(' '), where.join(', ')].filter((x) => x !== '').join(', '));
  if (t.mountpoint !== undefined) {
    lines.push(`mounted on ${t.mountpoint}${t.fstype !== undefined ? ` (${t.fstype}${t.dax !== undefined ? `, dax=${t.dax}` : ''})` : ''}`);
  }
  if (t.path !== undefined) {
    const facts = [t.inode !== undefined ? `inode ${t.inode}` : undefined, t.file_size !== undefined ? `${t.file_size} bytes` : undefined]
      .filter((x): x is string => x !== undefined);
    lines.push(`file ${t.path}${facts.length > 0 ? ` (${facts.join(', ')})` : ''}`);
  }
  if (t.file_ranges !== undefined && t.file_ranges.length > 0) {
    lines.push(`file bytes on the bad range: ${t.file_ranges.map((r) => `${r.offset}+${r.length}`).join(', ')}`);
  }
  if (t.new_size !== undefined) lines.push(`new size ${t.new_size} bytes`);
  if (t.backup !== undefined) {
    const b = t.backup;
    lines.push(`backup ${b.path} (${b.size} bytes, mode ${b.mode}, uid ${b.uid}, gid ${b.gid}, mtime ${b.mtime})`);
  }
  if (t.temp_path !== undefined) lines.push(`copied first to ${t.temp_path}`);
  return lines;
}

/** the DATA LOSS block, also shown again before the execute confirmation */
export function dataLossLines(plan: RecoveryPlan): string[] {
  const loss = plan.plan.data_loss;
  if (loss.length === 0) return ['DATA LOSS: none (this action writes nothing)'];
  return ['DATA LOSS:', ...indent(loss.map((d) => `! ${d.detail}`))];
}

export function formatPlan(p: RecoveryPlan, now: Date): string {
  const plan = p.plan;
  const lines: string[] = [];
  lines.push(`plan ${p.id}  ${p.action} on host ${p.host_id}  status ${p.status}`);
  lines.push(`range     ${formatRange(plan.request.range)}`);
  lines.push(`created   ${p.created_at} by ${p.created_by}`);
  if (p.status === 'planned') lines.push(`expires   ${p.expires_at} (${relative(p.expires_at, now)})`);
  else lines.push(`expires   ${p.expires_at}`);
  const target = targetLines(plan.target);
  if (target.length > 0) lines.push(`target    ${target[0]}`, ...indent(target.slice(1), '          '));
  if (plan.steps.length === 0) lines.push('steps: none');
  else lines.push('steps:', ...indent(plan.steps.map((s) => `${String(s.n).padStart(2)}. ${s.op.padEnd(16)} ${s.description}`)));
  lines.push(...dataLossLines(p));
  lines.push('checks:', ...indent(plan.checks.map(check)));
  if (!plan.executable) lines.push(`REFUSED: ${plan.refusal ?? 'a precondition failed (see the checks)'}`);
  lines.push(`digest    ${plan.digest}`);
  if (p.execution !== undefined) lines.push(...formatExecution(p.execution));
  else if (p.status === 'planned' && plan.executable) lines.push(`to run it: daxfleet recovery execute ${p.id}`);
  return `${lines.join('\n')}\n`;
}

const STEP_MARK: Record<RecoveryStepResult['status'], string> = {
  pending: ' ', running: '…', done: '✓', failed: '✗', skipped: '-',
};

function seconds(from: string | undefined, to: string | undefined): string {
  if (from === undefined || to === undefined) return '';
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) ? ` (${(ms / 1000).toFixed(1)} s)` : '';
}

export function formatStep(s: RecoveryStepResult): string {
  const detail = s.detail !== undefined ? ` ${s.detail}` : '';
  return `${STEP_MARK[s.status]} ${String(s.n).padStart(2)}. ${s.op.padEnd(16)} ${s.status}${seconds(s.started_at, s.finished_at)}${detail}`;
}

export function formatProgress(p: RecoveryProgress): string {
  let amount = '';
  if (p.done !== undefined && p.total !== undefined && p.total > 0) {
    const pct = Math.floor((p.done / p.total) * 100);
    amount = ` ${pct}% (${p.done}/${p.total}${p.unit !== undefined ? ` ${p.unit}` : ''})`;
  } else if (p.done !== undefined) {
    amount = ` ${p.done}${p.unit !== undefined ? ` ${p.unit}` : ''}`;
  }
  return `… step ${p.step}/${p.of} ${p.op}: ${p.message}${amount}`;
}

export function formatVerification(v: RecoveryVerification): string[] {
  const remaining = v.remaining.length === 0 ? 'none'
    : v.remaining.map((r) => `${r.region_offset}+${r.length}`).join(', ');
  return [
    `verification: ${v.verdict} at ${v.verified_at}`,
    ...indent([`sectors still listed bad: ${remaining}`, ...v.checks.map(check), v.detail]),
  ];
}

export function formatExecution(e: RecoveryExecution): string[] {
  const lines = [`execution by ${e.executed_by}, started ${e.started_at}${e.finished_at !== undefined ? `, finished ${e.finished_at}` : ''}`];
  lines.push(...indent(e.steps.map(formatStep)));
  if (e.finished_at === undefined && e.progress !== undefined) lines.push(...indent([formatProgress(e.progress)]));
  if (e.verification !== undefined) lines.push(...formatVerification(e.verification));
  if (e.error !== undefined) lines.push(`error: ${e.error}`);
  return lines;
}

/** one line per plan, newest first as the hub lists them */
export function formatPlanList(plans: RecoveryPlan[]): string {
  if (plans.length === 0) return 'no recovery plans\n';
  const rows = plans.map((p) => [
    p.id, p.host_id, p.action, p.status, formatRange(p.plan.request.range), p.created_at,
    p.plan.request.path ?? p.plan.target.blockdev ?? p.plan.target.chardev ?? '',
  ]);
  const header = ['ID', 'HOST', 'ACTION', 'STATUS', 'RANGE', 'CREATED', 'TARGET'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
