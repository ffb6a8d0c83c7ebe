"""Request and answer bodies of the API, one module a part of it; shared field types in
`common`."""
