package diagnose

// The codes of pushing: uploads refused by proxies or group repositories.
// Each entry holds what the code is, the generic fix, the check that
// confirms it and how the clients word it; the rules that find it in a
// run are in rules_push.go.

const (
	UploadTooLarge Code = "upload-too-large"
	UploadRefused  Code = "upload-refused"
)

var pushCodes = []Entry{
	{Code: UploadTooLarge, Severity: Error, Layer: LayerPush,
		Title: "A proxy rejects the upload body as too large",
		fix: func(a fixArgs) []string {
			return []string{
				"nginx: in the server block that proxies the registry set\nclient_max_body_size 0;\nchunked_transfer_encoding on;\n(nginx's default is 1m, far below a layer).",
				"Other proxies: raise the request body limit (HAProxy, ingress-nginx `nginx.ingress.kubernetes.io/proxy-body-size: \"0\"`).",
			}
		},
		checkFlags: flags("--push-check"),
		messages: []clientMessage{
			msg(UploadTooLarge, clientAnyGo, `413 (?:Request Entity Too Large|Payload Too Large|Content Too Large)|(?:StatusCode:|status code|HTTP|status:) 413\b`, "413").
				overrides(NotARegistry, RegistryMisbehaving),
		},
	},
	{Code: UploadRefused, Severity: Error, Layer: LayerPush,
		Title: "The upload is refused by a proxy or by a group repository",
		fix: func(a fixArgs) []string {
			return []string{
				"Nexus group repositories cannot be pushed to (\"Deploying to groups is a PRO-licensed feature\"): push to the hosted repository's connector port, or route non-GET methods to it in the proxy as the usual nginx split does.",
				"nginx answering 411 Length Required: add `chunked_transfer_encoding on;`. 405 from a proxy: allow POST, PATCH, PUT and DELETE on /v2/.",
			}
		},
		checkFlags: flags("--push-check"),
		messages: []clientMessage{
			msg(UploadRefused, clientAnyGo, `411 Length Required|(?:StatusCode:|status code|HTTP|status:) 411\b`, "411").
				overrides(NotARegistry, RegistryMisbehaving),
			msg(UploadRefused, clientAnyGo, `405 Method Not Allowed|(?:StatusCode:|status code|HTTP|status:) 405\b`, "405").
				overrides(NotARegistry, RegistryMisbehaving),
			msg(UploadRefused, clientAnyGo, `Deploying to groups is a PRO-licensed feature`, "Deploying to groups"),
			msg(UploadRefused, clientAnyGo, `BLOB_UPLOAD_INVALID|blob upload invalid`, "BLOB_UPLOAD_INVALID", "blob upload invalid").
				or(RegistryMisbehaving),
			msg(UploadRefused, clientAnyGo, `(?:UNSUPPORTED|unsupported): [Tt]he operation is unsupported`, "operation is unsupported"),
		},
	},
}
