// The SDK's client options under which every 2xx JSON answer must pass.

export const VALIDATION = Object.freeze({
  validateRequestPayload: true,
  validateRequestPayloadLevel: 'error',
});
