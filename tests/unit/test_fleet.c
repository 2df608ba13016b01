// SPDX-License-Identifier: Apache-2.0
/*
 * The pure parts of the fleet transport (userspace/lib/fleet/url.c): NATS
 * URL lists, subject tokens and prefixes, subjects, message ids, node
 * names; and the options' checks of the calls that connect, without a
 * server (tests/fleet/run.sh runs real servers).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

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

static const struct CMUnitTest fleet_tests[] = {
    cmocka_unit_test(test_fleet_url),
    cmocka_unit_test(test_fleet_tokens),
    cmocka_unit_test(test_fleet_subject_id),
    cmocka_unit_test(test_fleet_bad_opts),
};

UNIT_GROUP(fleet, fleet_tests)
