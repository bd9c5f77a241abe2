"""Runbooks and service notes for the knowledge tests: a few teams' real-looking
documents, each with sections a query should (or should not) find."""

CHECKOUT = """# Checkout service runbook

Owner: payments-platform. The checkout service takes the basket to an order.

## CheckoutLatencyFlap

The p99 latency alert flaps when the connection pool to the orders database is too small.
Raise `pool_size` to 40 in the checkout config and roll the deployment; do not page the database team first.

## Checkout pod restarts

Pods restart when the JVM heap is exhausted. Check `kubectl top pods -n checkout` and raise the memory limit.

```
# not a heading: a comment in a shell block
kubectl rollout restart deploy/checkout -n checkout
```
"""

PAYMENTS = """# Payments service notes

## Payments5xx and PaymentsErrorRate

Both alerts watch the same upstream: the card processor. When they fire together, check the processor's status page
and fail over to the secondary acquirer with `payctl failover --to secondary`.

## Refunds

Refunds are batched hourly; a stuck batch is retried by the refund worker.
"""

SEARCH = """# Search cluster

## SearchDiskIOSpike

Disk IO spikes during the nightly reindex at 02:00 UTC. They resolve on their own within five minutes: this alert
should wait `for: 5m` before it fires.

## Scaling the cluster

Add a data node with `searchctl scale --nodes +1`; shards rebalance within an hour.
"""

AUTH_ZH = """# 认证服务手册

## 令牌错误

AuthTokenErrors 告警表示签发令牌的密钥过期。请轮换签名密钥并重启认证服务。

## 登录缓慢

检查会话缓存的命中率。
"""
