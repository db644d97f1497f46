#include "audit/cli.h"

int main(int argc, char** argv) { return kw::audit::RunAuditScanner(argc, argv); }
