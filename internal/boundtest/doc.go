// Package boundtest runs code under test within the time and allocation bounds that
// tests of hostile input (bombs, deep nesting, huge files) assert.
package boundtest
