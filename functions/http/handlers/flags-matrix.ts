import { getFlagsMatrix as getMatrix } from '../../domain/use-cases/flags-matrix.js';
import { type Handler, ok, projectOf } from './context.js';

export const getFlagsMatrix: Handler = async (c) => ok(await getMatrix(c.deps, c.actor, projectOf(c)));
