/* example.cpp: scoped parameters from C++. Build from the repository root with
 *
 *     cargo build --release
 *     c++ -std=c++17 -I include example.cpp -L target/release -lhyperparameter \
 *         -Wl,-rpath,"$PWD/target/release" -o example
 */
#include <cstdio>
#include <string>

#include "hyperparameter.hpp"

// Library code: the key is checked and hashed at compile time, the default's type is the
// result's type, and a read is one probe of the current scope.
int layers() { return GET_PARAM(model.layers, 4); }
std::string activation() { return GET_PARAM(model.activation, "relu"); }

int main() {
    std::printf("defaults: %d layers, %s\n", layers(), activation().c_str());
    {
        auto guard = WITH_PARAMS(model.layers, 8, model.activation, "gelu");
        std::printf("in scope: %d layers, %s\n", layers(), activation().c_str());

        hp::scope_guard trial;     // a nested scope ...
        trial.set("model.layers", 16);
        std::printf("trial: %d layers\n", layers());
    }                              // ... and both end here, innermost first
    std::printf("after: %d layers\n", layers());

    try {
        auto guard = WITH_PARAMS(model.layers, "many");
        std::printf("unreachable: %d layers\n", layers());
    } catch (const hp::error& e) {  // a value that cannot convert is an error, never the default
        std::printf("error %s: %s\n", e.status_name(), e.what());
        return layers() == 4 ? 0 : 1;
    }
    return 1;
}
