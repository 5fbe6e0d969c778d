"""Operations: health checks for load balancers and the production web server."""
