from .umbrella import main

main()
