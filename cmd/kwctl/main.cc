#include "kwctl/kwctl.h"

int main(int argc, char** argv) { return kw::kwctl::Main(argc, argv); }
