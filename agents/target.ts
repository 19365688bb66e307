import { runAgent } from '../lib/ocf/dispatch.js';
import { definition } from './target/definition.js';
import { actions } from './target/actions.js';

runAgent(definition, LIOHA_METADATA, actions);
