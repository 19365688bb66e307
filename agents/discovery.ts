import { runAgent } from '../lib/ocf/dispatch.js';
import { definition } from './discovery/definition.js';
import { actions } from './discovery/actions.js';

runAgent(definition, LIOHA_METADATA, actions);
