// Package fence stops a writer that lost its lock before its next write reaches the
// API server: a check carried by the request's context runs in the client's transport
// before every mutating request.
package fence
