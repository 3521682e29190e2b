<?php
define('DB_PASSWORD', 'Pa55-w0rd-Zq8');
$secret = getenv('APP_SECRET');
