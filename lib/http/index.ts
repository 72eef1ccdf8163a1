export {
  clientIp,
  clientIpFromHeaders,
  isPrefetch,
  isSameOriginRequest,
  publicOrigin,
  publicOriginFromHeaders,
  readSessionToken,
  resolveClientIp,
  type CookieReader,
  type HeaderReader,
} from "./request";
export { errorPage, errorResponse, logUnexpected, loginErrorPath, retryMessage, statusOf } from "./respond";
