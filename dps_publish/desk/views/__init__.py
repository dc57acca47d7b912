"""The desk's pages: thin views over the services, one module a part of a round."""
