package checks

// AuthScheme is the scheme of a registry's challenge, lower case. Part of
// the JSON contract (the auth-challenge evidence's "scheme").
type AuthScheme string

const (
	SchemeBearer AuthScheme = "bearer"
	SchemeBasic  AuthScheme = "basic"
	// SchemeNone: /v2/ answered without a challenge (no auth needed).
	SchemeNone AuthScheme = "none"
)

// ErrorCode is a code of the distribution API's {"errors": [...]} body
// (distribution/registry/api/errcode, the OCI distribution spec's error
// codes), as registries send it.
type ErrorCode string

// The codes the rules read.
const (
	ErrCodeUnauthorized    ErrorCode = "UNAUTHORIZED"
	ErrCodeDenied          ErrorCode = "DENIED"
	ErrCodeNameUnknown     ErrorCode = "NAME_UNKNOWN"
	ErrCodeManifestUnknown ErrorCode = "MANIFEST_UNKNOWN"
	ErrCodeBlobUnknown     ErrorCode = "BLOB_UNKNOWN"
	ErrCodeTooManyRequests ErrorCode = "TOOMANYREQUESTS"
)
