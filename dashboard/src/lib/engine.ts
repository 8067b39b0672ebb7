/**
 * The evaluation engine (functions/engine: pure, portable TypeScript), as the dashboard uses it:
 * the very matchers SDKs and the API run.
 */
import './zod-jitless';

export { explainSegment, OPERATORS, type RuleExplanation } from '../../../functions/engine/index';
