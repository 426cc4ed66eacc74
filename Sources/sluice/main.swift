import SluiceCLI
import SluiceCore
import SluiceStages

// `sluice`: the command line with every stage kind Sluice ships.
await SluiceCommandLine.main(registry: .all)
