import { mkdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AgentActions } from '../../lib/ocf/dispatch.js';
import type { OcfContext } from '../../lib/ocf/context.js';
import { OcfExit } from '../../lib/ocf/exit-codes.js';
import { Failure } from '../../lib/failure.js';
import { checkDummyParams, dummyStatePath, type DummyParams } from './config.js';

type Ctx = OcfContext<DummyParams>;

function statePath(ctx: Ctx): string {
  return ctx.root.path(dummyStatePath(ctx.params, ctx.instance));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readState(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

async function monitor(ctx: Ctx): Promise<OcfExit> {
  if (ctx.params.op_sleep) await sleep(ctx.params.op_sleep);
  const s = readState(statePath(ctx));
  if (s === undefined) return OcfExit.NOT_RUNNING;
  if (!s.startsWith('started')) throw new Failure('generic', `state file ${statePath(ctx)} is corrupt`);
  return OcfExit.SUCCESS;
}

async function start(ctx: Ctx): Promise<OcfExit> {
  if ((await monitor(ctx)) === OcfExit.SUCCESS) return OcfExit.SUCCESS;
  const path = statePath(ctx);
  mkdirSync(dirname(path), { recursive: true });
  if (ctx.params.mode === 'hang-child') {
    const { run } = await import('../../lib/exec/run.js');
    await run('sleep', ['3600'], { timeoutMs: ctx.deadline.budget() });
  }
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, 'partial\n');
  if (ctx.params.mode === 'fail-start') {
    rmSync(tmp, { force: true }); // roll back what this start created
    throw new Failure('generic', 'start failed as requested by mode=fail-start (rolled back)');
  }
  writeFileSync(tmp, `started fake=${ctx.params.fake}\n`);
  renameSync(tmp, path);
  ctx.log.info('started', { state: path, passwd: ctx.params.passwd });
  return monitor(ctx);
}

async function stop(ctx: Ctx): Promise<OcfExit> {
  if (ctx.params.op_sleep) await sleep(ctx.params.op_sleep);
  rmSync(statePath(ctx), { force: true });
  return OcfExit.SUCCESS;
}

async function validate(ctx: Ctx): Promise<OcfExit> {
  checkDummyParams(ctx.params);
  return OcfExit.SUCCESS;
}

export const actions: AgentActions<DummyParams> = {
  start,
  stop,
  monitor,
  validate,
  'reload-agent': async () => OcfExit.SUCCESS,
};
