// Package graph is boxoffice's GraphQL API: the schema (schema/*.graphqls),
// thin resolvers over the domain services, per-request dataloaders, and
// the HTTP handler that puts them together (NewHandler).
package graph

//go:generate go run github.com/99designs/gqlgen generate --config gqlgen.yml
