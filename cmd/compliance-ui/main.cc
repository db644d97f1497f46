#include "ui/process.h"

int main(int argc, char** argv) { return kw::ui::RunComplianceUi(argc, argv); }
