export {
  usernameSchema,
  createUserSchema,
  updateUserSchema,
  gatewayUpdateUserSchema,
  loginBody,
  refreshBody,
  pathUsername,
  requestIdSchema,
  loginLimitUpdate,
  tokenPair,
  acceptedWrite,
  requestOutcome,
  userView,
  userState,
  loginLimitView,
  lockoutStatus,
  errorBody,
  REQUEST_TYPES,
} from './schemas';
export type { CreateUserInput, UpdateUserInput } from './schemas';
export { parseWith, type FieldProblem, type Parsed } from './problems';
export { normalizeEmail, normalizePhone, CANONICAL_PHONE } from './normalize';
export { openApiDocument, openApiJson } from './openapi';
export { OPENAPI_PATH } from './files';
