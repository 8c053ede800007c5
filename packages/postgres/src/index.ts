export { DEFAULT_SCHEMA, NOT_LEADER_SQLSTATE, quoteSchema, SCHEMA_VERSION, schemaSql } from './schema.js';
export { type Statements, statements } from './statements.js';
