"""PostgreSQL: the table definitions, the migrations, and every SQL statement Legato runs."""
