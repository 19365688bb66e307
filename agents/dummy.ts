import { runAgent } from '../lib/ocf/dispatch.js';
import { definition } from './dummy/definition.js';
import { actions } from './dummy/actions.js';

runAgent(definition, LIOHA_METADATA, actions);
