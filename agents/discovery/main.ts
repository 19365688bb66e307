import { runAgent } from '../../lib/ocf/dispatch.js';
import { definition } from './definition.js';
import { actions } from './actions.js';

runAgent(definition, LIOHA_METADATA, actions);
