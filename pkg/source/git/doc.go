// Package git fetches charts from Git repositories with go-git: it resolves a ref
// (default branch, branch, tag, SemVer range over tags, full or abbreviated commit)
// with one ls-remote, fetches only that commit (depth 1), and keeps each commit's tree
// in a local cache keyed by repository URL and commit, so a commit is fetched once.
//
// Transports: https and http (basic auth from Options, the URL or a netrc file, or a
// bearer token; custom CA, client certificate), ssh (private keys or an SSH agent, host
// keys always verified against known_hosts files), and file:// (read in place, no git
// binary needed).
//
// Options.Limits bound the pack a server sends, each file (checked in the pack before
// go-git inflates it, and again at checkout) and the checkout of a commit; a refused
// commit leaves nothing in the cache.
package git
