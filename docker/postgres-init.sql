-- The invoices dataset's database (its load_postgres step), beside Airflow's metadata DB.
-- Run once by the postgres image when its volume is first initialised.
CREATE DATABASE pipeline;
