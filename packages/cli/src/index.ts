export { DEFAULT_KILL_AFTER_MS, type Invocation, parseArguments, UsageError } from './arguments.js';
export { ExitStatus, exitStatusMarkdown, exitStatusTable, statusForError } from './exit-status.js';
export { type KillPlan, type KillRule, killPlan, type Loss } from './kill-schedule.js';
export { main } from './main.js';
