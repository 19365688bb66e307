import { defineAgent, standardActions } from '../../lib/definition.js';

export const definition = defineAgent({
  name: 'dummy',
  version: '0.1.0',
  shortdesc: 'Example agent that keeps its state in a file',
  longdesc:
    'A resource that does nothing but record whether it is started, in a state file, like ocf:heartbeat:Dummy. ' +
    'It exercises the lioha OCF runtime (parameters, dispatch, exit reasons, logging, timeouts) in tests and demos.',
  parameters: [
    {
      name: 'state',
      type: 'string',
      shortdesc: 'State file',
      longdesc: 'File whose existence means "started". Default: /run/lioha/dummy-<instance>.state (under the lioha root).',
    },
    {
      name: 'fake',
      type: 'string',
      default: 'dummy',
      reloadable: true,
      shortdesc: 'Fake attribute that can be changed without a restart',
      longdesc: 'Has no effect; stored in the state file so tests can see which value a start used.',
    },
    {
      name: 'op_sleep',
      type: 'integer',
      default: 0,
      shortdesc: 'Milliseconds each action sleeps',
      longdesc: 'Lets tests and benchmarks give actions a duration.',
    },
    {
      name: 'mode',
      type: 'select',
      options: ['normal', 'fail-start', 'hang-child'],
      default: 'normal',
      shortdesc: 'Failure injection',
      longdesc: 'normal; fail-start makes start fail after writing a partial state (and roll it back); hang-child makes start run a command that never ends, to prove the hard timeout.',
    },
    {
      name: 'passwd',
      type: 'string',
      secret: true,
      shortdesc: 'A secret that must never be logged',
      longdesc: 'Has no effect; used to prove that secret parameters are redacted from logs and exit reasons.',
    },
  ],
  actions: standardActions({ start: 20, stop: 20, monitor: 20, interval: 10 }),
});
