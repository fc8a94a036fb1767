"""gRPC status codes, their HTTP mapping (grpc-gateway v1.16 runtime/errors.go) and the
error values the Argo Server and the Kubernetes API behind it produce.

An ApiError carries a gRPC code and a message; the server turns it into
HTTP <mapped status> with body {"code":N,"message":"..."}.
"""

OK = 0
CANCELED = 1
UNKNOWN = 2
INVALID_ARGUMENT = 3
DEADLINE_EXCEEDED = 4
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
ABORTED = 10
OUT_OF_RANGE = 11
UNIMPLEMENTED = 12
INTERNAL = 13
UNAVAILABLE = 14
DATA_LOSS = 15
UNAUTHENTICATED = 16

GRPC_TO_HTTP = {
    OK: 200,
    CANCELED: 408,
    UNKNOWN: 500,
    INVALID_ARGUMENT: 400,
    DEADLINE_EXCEEDED: 504,
    NOT_FOUND: 404,
    ALREADY_EXISTS: 409,
    PERMISSION_DENIED: 403,
    RESOURCE_EXHAUSTED: 429,
    FAILED_PRECONDITION: 400,
    ABORTED: 409,
    OUT_OF_RANGE: 400,
    UNIMPLEMENTED: 501,
    INTERNAL: 500,
    UNAVAILABLE: 503,
    DATA_LOSS: 500,
    UNAUTHENTICATED: 401,
}

# Reason phrases Go's net/http uses (http.StatusText), for stream error chunks.
HTTP_STATUS_TEXT = {
    200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    408: "Request Timeout", 409: "Conflict", 429: "Too Many Requests",
    500: "Internal Server Error", 501: "Not Implemented", 503: "Service Unavailable",
    504: "Gateway Timeout",
}

TOKEN_NOT_VALID = "token not valid. see https://argo-workflows.readthedocs.io/en/latest/faq/"
GROUP = "argoproj.io"


class ApiError(Exception):
    """A gRPC status: `code` (int) and `message` (str)."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def http_status(self):
        return GRPC_TO_HTTP.get(self.code, 500)

    def body(self):
        return {"code": self.code, "message": self.message}


def not_found(resource, name):
    """Kubernetes NotFound as Argo maps it: `<resource> "<name>" not found`, code 5.
    `resource` is the qualified resource, e.g. "workflows.argoproj.io"."""
    return ApiError(NOT_FOUND, '%s "%s" not found' % (resource, name))


def already_exists(resource, name):
    return ApiError(ALREADY_EXISTS, '%s "%s" already exists' % (resource, name))


def conflict(resource, name):
    """Kubernetes 409 Conflict on a stale resourceVersion; Argo maps it to AlreadyExists."""
    return ApiError(ALREADY_EXISTS,
                    'Operation cannot be fulfilled on %s "%s": the object has been modified; '
                    'please apply your changes to the latest version and try again'
                    % (resource, name))


def invalid(kind, name, detail):
    """Kubernetes 422 Invalid (mapped to InvalidArgument): `<Kind>.argoproj.io "<name>" is invalid: ...`."""
    return ApiError(INVALID_ARGUMENT, '%s.%s "%s" is invalid: %s' % (kind, GROUP, name, detail))


def not_implemented():
    return ApiError(UNIMPLEMENTED, "Not Implemented")
