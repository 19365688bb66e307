import { runAgent } from '../lib/ocf/dispatch.js';
import { definition } from './portal/definition.js';
import { actions } from './portal/actions.js';

runAgent(definition, LIOHA_METADATA, actions);
