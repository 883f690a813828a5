# Sourced by tests/peers/nginx_rtmp.sh (the peer tests) and
# scripts/bench-relay.sh (the relay benchmark), so both run the same server.
#
# nginx_rtmp_conf DIR PORT CONNECTIONS LOG_LEVEL writes DIR/nginx.conf:
# nginx with the RTMP module in the foreground as one process (no master,
# no workers, so its PID is the server), pid file and error log in DIR,
# one live application "live" on 127.0.0.1:PORT at chunk size 4096.
# Players are told when the publisher stops (publish_notify), which is what
# ends an FFmpeg player.
nginx_rtmp_conf() {
    local dir=$1 port=$2 connections=$3 level=$4
    cat >"$dir/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
daemon off;
master_process off;
pid $dir/nginx.pid;
error_log $dir/error.log $level;
events { worker_connections $connections; }
rtmp {
    server {
        listen 127.0.0.1:$port;
        chunk_size 4096;
        application live {
            live on;
            record off;
            publish_notify on;
        }
    }
}
CONF
}
