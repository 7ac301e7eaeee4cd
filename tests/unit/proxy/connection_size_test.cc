// An idle keep-alive connection must stay small (issue: <= 1 KiB of proxy memory per idle
// connection): the downstream connection object holds no parsed heads and no buffers.
#include <gtest/gtest.h>

#include "proxy/downstream_connection.h"

TEST(ProxyConnectionSize, IdleDownstreamConnectionIsSmall) {
  EXPECT_LE(sizeof(portico::proxy::DownstreamConnection), 512u)
      << "sizeof(DownstreamConnection) = " << sizeof(portico::proxy::DownstreamConnection);
}
