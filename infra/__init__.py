"""Infrastructure: CloudFormation resources, packaging, and the local stack built on the same definitions."""
