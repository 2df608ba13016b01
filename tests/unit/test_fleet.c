// SPDX-License-Identifier: Apache-2.0
/*
 * The pure parts of the fleet transport (userspace/lib/fleet/url.c): NATS
 * URL lists, subject tokens and prefixes, subjects, message ids, node
 * names; the container records' table, payloads and merge (cttable.c);
 * and the options' checks of the calls that connect, without a server
 * (tests/fleet/run.sh runs real servers).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "container/container.h"
#include "fleet/cttable.h"
#include "fleet/fleet.h"
#include "unit.h"

static void test_fleet_url(void **state) {
  struct fleet_servers s;
  const char *why = NULL;
  bool tls;

  (void)state;
  assert_int_equal(fleet_parse_url("nats://127.0.0.1:4222", &s, &tls, &why), 0);
  assert_int_equal(s.n, 1);
  assert_string_equal(s.url[0], "nats://127.0.0.1:4222");
  assert_false(tls);
  fleet_servers_free(&s);

  assert_int_equal(
      fleet_parse_url("nats://a:1,b,nats://c.example:65535/", &s, &tls, &why),
      0);
  assert_int_equal(s.n, 3);
  assert_string_equal(s.url[0], "nats://a:1");
  assert_string_equal(s.url[1], "nats://b:4222");
  assert_string_equal(s.url[2], "nats://c.example:65535");
  fleet_servers_free(&s);

  assert_int_equal(fleet_parse_url("tls://h:4443", &s, &tls, &why), 0);
  assert_true(tls);
  fleet_servers_free(&s);

  static const char *const bad[] = {
      NULL,
      "",
      "http://h:1",
      "nats://",
      "nats://h:0",
      "nats://h:65536",
      "nats://h:",
      "nats://h:1x",
      "nats://:4222",
      "nats://h h:1",
      "nats://a:1,,b:2",
      "nats://h:-1",
      "nats://a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    why = NULL;
    assert_int_equal(fleet_parse_url(bad[i], &s, &tls, &why), -EINVAL);
    assert_non_null(why);
    assert_int_equal(s.n, 0);
  }
}

static void test_fleet_tokens(void **state) {
  char long_tok[80];

  (void)state;
  assert_true(fleet_token_ok("web-1_a"));
  assert_false(fleet_token_ok(""));
  assert_false(fleet_token_ok(NULL));
  assert_false(fleet_token_ok("a.b"));
  assert_false(fleet_token_ok("a*"));
  assert_false(fleet_token_ok(">"));
  assert_false(fleet_token_ok("a b"));
  memset(long_tok, 'x', sizeof(long_tok) - 1);
  long_tok[sizeof(long_tok) - 1] = '\0';
  assert_false(fleet_token_ok(long_tok));
  long_tok[FLEET_TOKEN_MAX - 1] = '\0';
  assert_true(fleet_token_ok(long_tok));

  assert_true(fleet_prefix_ok("kcap"));
  assert_true(fleet_prefix_ok("org.site.kcap"));
  assert_false(fleet_prefix_ok("kcap."));
  assert_false(fleet_prefix_ok(".kcap"));
  assert_false(fleet_prefix_ok("a..b"));
  assert_false(fleet_prefix_ok("a.>"));
  assert_false(fleet_prefix_ok(""));
}

static void test_fleet_subject_id(void **state) {
  char buf[FLEET_SUBJECT_MAX], small[8];

  (void)state;
  assert_int_equal(fleet_subject(buf, sizeof(buf), "kcap", "web1", "exec"), 14);
  assert_string_equal(buf, "kcap.web1.exec");
  assert_int_equal(fleet_subject(small, sizeof(small), "kcap", "web1", "exec"),
                   -1);
  assert_true(fleet_msg_id(buf, sizeof(buf), "web1", 0x1234abcdULL, 42) > 0);
  assert_string_equal(buf, "web1.1234abcd.42");
  assert_int_equal(fleet_msg_id(small, sizeof(small), "web1", 1, 1), -1);

  assert_int_equal(fleet_node_name(buf, sizeof(buf), "n-1"), 0);
  assert_string_equal(buf, "n-1");
  assert_int_equal(fleet_node_name(buf, sizeof(buf), "bad.name"), -EINVAL);
  /* the host name made a token: never empty, only token characters */
  assert_int_equal(fleet_node_name(buf, sizeof(buf), NULL), 0);
  assert_true(fleet_token_ok(buf));
}

static void test_fleet_bad_opts(void **state) {
  char err[256] = "";
  struct kcap_fleet_opts o = {.sz = sizeof(o),
                              .url = "nats://h:0",
                              .errbuf = err,
                              .errbuf_sz = sizeof(err)};

  (void)state;
  assert_int_equal(kcap_fleet_init(&o), -EINVAL);
  assert_non_null(strstr(err, "port"));
  o.url = "nats://127.0.0.1:1";
  o.subject = "a.>";
  assert_int_equal(kcap_fleet_init(&o), -EINVAL);
  assert_non_null(strstr(err, "subject prefix"));
  o.subject = NULL;
  o.stream = "no.dots";
  assert_null(kcap_open_nats(&o));
  assert_int_equal(errno, EINVAL);
  assert_non_null(strstr(err, "stream"));
  o.stream = NULL;
  o.durable = "a.b";
  assert_null(kcap_open_nats(&o));
  assert_int_equal(errno, EINVAL);
  assert_non_null(strstr(err, "durable a.b"));
  o.durable = NULL;
  o.lease_ms = 999;
  assert_null(kcap_open_nats(&o));
  assert_int_equal(errno, EINVAL);
  assert_non_null(strstr(err, "lease"));
  o.lease_ms = 0;
  o.node = "a b";
  assert_null(kcap_publisher_open(NULL, &o));
  assert_int_equal(errno, EINVAL);
  assert_non_null(strstr(err, "node name"));
  assert_int_equal(kcap_fleet_init(NULL), -EINVAL);
  assert_int_equal(kcap_nats_node(NULL, NULL), -EINVAL);
}

/* A record of container @id named @name, its u32 length first. */
static void ct_rec(struct kbuf *b, const char *id, const char *name) {
  struct kcap_ct_meta m;

  memset(&m, 0, sizeof(m));
  snprintf(m.id, sizeof(m.id), "%s", id);
  snprintf(m.runtime, sizeof(m.runtime), "runc");
  snprintf(m.name, sizeof(m.name), "%s", name);
  kcapf_ct_encode(b, &m);
}

/* A CONTAINERS payload of @n records into @log, after its u32 length. */
static void ct_payload(struct kbuf *log, const struct kbuf *recs, __u32 n) {
  kbuf_u32(log, (__u32)(4 + recs->len));
  kbuf_u32(log, n);
  kbuf_put(log, recs->p, recs->len);
}

static int ct_names(void *ctx, struct kcap_ct_meta *m, const void *rec,
                    size_t len) {
  struct kbuf *b = ctx;

  (void)rec;
  (void)len;
  kbuf_put(b, m->id, strlen(m->id));
  kbuf_put(b, "=", 1);
  kbuf_put(b, m->name, strlen(m->name) + 1);
  b->len--;
  kbuf_put(b, ",", 1);
  return 0;
}

static const char *ct_list(const struct kbuf *payload, struct kbuf *out) {
  char why[192];

  out->len = 0;
  assert_int_equal(
      kcapf_ct_foreach(payload->p, payload->len, ct_names, out, why, sizeof(why)),
      0);
  kbuf_put(out, "", 1);
  return (const char *)out->p;
}

/* The container records through the fleet (cttable.c): the publisher's
 * table (capture/file_containers.c) takes a source's payloads as they grow
 * and keeps what changed pending; payloads are cut to a budget; the
 * consumer merges them into a node's cache and logs what is new or
 * changed. */
static void test_fleet_containers(void **state) {
  struct kbuf recs = {0}, log = {0}, all = {0}, chunk = {0}, names = {0},
              clog = {0};
  struct kcapf_cts t = {0};
  struct kcap_ct_cache *cache = NULL;
  const struct kcap_ct_meta *m;
  char why[192];
  size_t off;

  (void)state;
  ct_rec(&recs, "a1", "web");
  ct_rec(&recs, "b2", "db");
  ct_payload(&log, &recs, 2);
  /* half a payload is not taken yet */
  assert_int_equal(kcapf_cts_take(&t, log.p, log.len - 3, why, sizeof(why)), 0);
  assert_int_equal(t.n, 0);
  assert_int_equal(kcapf_cts_take(&t, log.p, log.len, why, sizeof(why)), 0);
  assert_int_equal(t.n, 2);
  assert_int_equal(t.nr_pending, 2);
  assert_int_equal(t.log_off, log.len);
  /* published: a1 again as it is, b2 changed, c3 new */
  t.pending.len = 0;
  t.nr_pending = 0;
  recs.len = 0;
  ct_rec(&recs, "a1", "web");
  ct_rec(&recs, "b2", "db2");
  ct_rec(&recs, "c3", "cache");
  ct_payload(&log, &recs, 3);
  assert_int_equal(kcapf_cts_take(&t, log.p, log.len, why, sizeof(why)), 0);
  assert_int_equal(t.n, 3);
  assert_int_equal(t.nr_pending, 2);
  off = 0;
  assert_int_equal(
      fleet_ct_chunk(t.pending.p, t.pending.len, &off, 1 << 16, &chunk), 2);
  assert_string_equal(ct_list(&chunk, &names), "b2=db2,c3=cache,");
  /* from a thread table's metadata (kcapf_cts_put()): as it is, nothing
   * pending; changed, pending */
  {
    struct kcap_ct_meta m;

    memset(&m, 0, sizeof(m));
    snprintf(m.id, sizeof(m.id), "c3");
    snprintf(m.runtime, sizeof(m.runtime), "runc");
    snprintf(m.name, sizeof(m.name), "cache");
    t.pending.len = 0;
    t.nr_pending = 0;
    assert_int_equal(kcapf_cts_put(&t, &m), 0);
    assert_int_equal(t.nr_pending, 0);
    snprintf(m.name, sizeof(m.name), "cache3");
    assert_int_equal(kcapf_cts_put(&t, &m), 0);
    assert_int_equal(t.nr_pending, 1);
    snprintf(m.name, sizeof(m.name), "cache");
    assert_int_equal(kcapf_cts_put(&t, &m), 0);
    assert_int_equal(t.nr_pending, 2);
  }
  /* the whole table, oldest change first; one record per payload when
   * the budget is small, and at least one */
  assert_int_equal(fleet_cts_all(&t, &all), 3);
  off = 0;
  assert_int_equal(fleet_ct_chunk(all.p, all.len, &off, 1 << 16, &chunk), 3);
  assert_string_equal(ct_list(&chunk, &names), "a1=web,b2=db2,c3=cache,");
  assert_int_equal(off, all.len);
  off = 0;
  assert_int_equal(fleet_ct_chunk(all.p, all.len, &off, 8, &chunk), 1);
  assert_string_equal(ct_list(&chunk, &names), "a1=web,");
  assert_int_equal(fleet_ct_chunk(all.p, all.len, &off, 8, &chunk), 1);
  assert_int_equal(fleet_ct_chunk(all.p, all.len, &off, 8, &chunk), 1);
  assert_string_equal(ct_list(&chunk, &names), "c3=cache,");
  assert_int_equal(fleet_ct_chunk(all.p, all.len, &off, 8, &chunk), 0);

  /* the consumer: all three new, then nothing new, then one changed */
  off = 0;
  fleet_ct_chunk(all.p, all.len, &off, 1 << 16, &chunk);
  assert_int_equal(
      fleet_ct_merge(&cache, &clog, chunk.p, chunk.len, why, sizeof(why)), 3);
  assert_non_null(cache);
  assert_int_equal(clog.len, 4 + chunk.len);
  assert_int_equal(
      fleet_ct_merge(&cache, &clog, chunk.p, chunk.len, why, sizeof(why)), 0);
  assert_int_equal(clog.len, 4 + chunk.len);
  recs.len = 0;
  ct_rec(&recs, "a1", "web");
  ct_rec(&recs, "c3", "cache2");
  chunk.len = 0;
  kbuf_u32(&chunk, 2);
  kbuf_put(&chunk, recs.p, recs.len);
  assert_int_equal(
      fleet_ct_merge(&cache, &clog, chunk.p, chunk.len, why, sizeof(why)), 1);
  m = kcap__ct_cache_find(cache, "c3");
  assert_non_null(m);
  assert_string_equal(m->name, "cache2");
  assert_string_equal(kcap__ct_cache_find(cache, "b2")->name, "db2");
  /* the log: what a writer copies, payloads after their length */
  {
    struct kcapf_cts copy = {0};

    assert_int_equal(kcapf_cts_take(&copy, clog.p, clog.len, why, sizeof(why)),
                     0);
    assert_int_equal(copy.n, 3);
    assert_int_equal(copy.nr_pending, 4);
    kcapf_cts_free(&copy);
  }
  /* a malformed payload: refused whole, nothing taken */
  chunk.p[0] = 9;
  assert_int_equal(
      fleet_ct_merge(&cache, &clog, chunk.p, chunk.len, why, sizeof(why)),
      -EBADMSG);
  assert_string_equal(kcap__ct_cache_find(cache, "c3")->name, "cache2");

  kcap__ct_cache_free(cache);
  kcapf_cts_free(&t);
  kbuf_free(&recs);
  kbuf_free(&log);
  kbuf_free(&all);
  kbuf_free(&chunk);
  kbuf_free(&names);
  kbuf_free(&clog);
}

static const struct CMUnitTest fleet_tests[] = {
    cmocka_unit_test(test_fleet_url),
    cmocka_unit_test(test_fleet_tokens),
    cmocka_unit_test(test_fleet_subject_id),
    cmocka_unit_test(test_fleet_bad_opts),
    cmocka_unit_test(test_fleet_containers),
};

UNIT_GROUP(fleet, fleet_tests)
