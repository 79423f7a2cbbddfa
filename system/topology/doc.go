// Package topology is plain data: regions, nodes, their roles and places.
// It has no behaviour beyond lookups, so scenarios, hosts, the system and the
// checkers can all share it without sharing logic.
package topology
