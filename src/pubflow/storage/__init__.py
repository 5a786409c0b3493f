"""The only modules that touch the machine: git, files, YAML, the shipped schemas, the JSON
state files under the cache folder, folder walks and worker processes."""
