import { runAgent } from '../lib/ocf/dispatch.js';
import { definition } from './vg/definition.js';
import { actions } from './vg/actions.js';

runAgent(definition, LIOHA_METADATA, actions);
