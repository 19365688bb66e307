import { runAgent } from '../lib/ocf/dispatch.js';
import { definition } from './ddmap/definition.js';
import { actions } from './ddmap/actions.js';

runAgent(definition, LIOHA_METADATA, actions);
