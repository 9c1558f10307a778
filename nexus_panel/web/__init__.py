"""The web server's own HTTP layer: who a request is (identity), sign-in and sign-out."""
