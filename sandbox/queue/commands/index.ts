// The one command table: every command is declared once, in the file of its family.
import { connectionCommands } from './connection';
import { keyCommands } from './keys';
import { listCommands } from './lists';
import { pubsubCommands } from './pubsub';
import { serverCommands } from './server';
import { stringCommands } from './strings';
import type { CommandSpec } from './types';

export const COMMANDS: readonly CommandSpec[] = [...connectionCommands, ...keyCommands, ...stringCommands, ...listCommands, ...pubsubCommands, ...serverCommands];
