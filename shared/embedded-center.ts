/**
 * The embedded center (the one the app starts for itself) serves two things no other center
 * does: self-registration and the outbox that shows the SMS codes. The app proves it is the
 * process that started it with a per-run secret in this header; where the request comes from
 * proves nothing (any local program, or a web page through DNS rebinding, is on loopback too).
 */
export const EMBEDDED_SECRET_HEADER = 'x-certmgr-center-secret'
