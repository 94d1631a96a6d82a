// Account-level operations: the image catalogue and per-pool node counts.
#include "batch/handlers.h"

namespace kiln::batch::handlers {

void list_supported_images(Ctx& c) {
  std::vector<std::pair<std::string, Json>> items;
  char key[16];
  int i = 0;
  for (const Json& image : supported_images()) {
    std::snprintf(key, sizeof key, "%06d", i++);
    items.emplace_back(key, image);
  }
  write_list(c, "supportedimages", std::move(items));
}

void list_pool_node_counts(Ctx& c) {
  std::vector<std::pair<std::string, Json>> items;
  for (Json& counts : c.engine.pool_node_counts())
    items.emplace_back(lower(counts["poolId"]), std::move(counts));
  write_list(c, "poolnodecounts", std::move(items));
}

}  // namespace kiln::batch::handlers
