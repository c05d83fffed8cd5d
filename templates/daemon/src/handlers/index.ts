// The handlers, by job type. Add yours here.

import { NotifyHandler } from './notify.js';
import type { Handler } from './types.js';

export const HANDLERS: readonly Handler[] = [new NotifyHandler()];
