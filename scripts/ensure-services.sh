#!/usr/bin/env bash
# Starts the local PostgreSQL, MariaDB and RabbitMQ (the Celery broker) when they are down. Under CI=true the tests that need
# them fail (never skip) if they still cannot be reached.
set -u
pg_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
my_up() { (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null; }
mq_up() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }
if ! pg_up && [ -d /etc/postgresql ]; then
  echo "PostgreSQL đang tắt, khởi động / starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
if ! my_up && [ -x /usr/sbin/mariadbd ]; then
  echo "MariaDB đang tắt, khởi động / starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
fi
if ! mq_up && [ -x /usr/sbin/rabbitmq-server ]; then
  echo "RabbitMQ đang tắt, khởi động / starting RabbitMQ"
  service rabbitmq-server start >/dev/null 2>&1 || rabbitmq-server -detached || true
fi
for _ in $(seq 1 60); do pg_up && my_up && mq_up && break; sleep 1; done
exit 0
