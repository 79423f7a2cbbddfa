// Package api owns the client-visible request and response types of the
// custody system and their wire encoding. Checkers may import it: it is the
// only system vocabulary they share with what they judge.
package api
